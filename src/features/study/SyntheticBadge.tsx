export const SyntheticBadge = () => <span className="ml-1.5 rounded bg-violet-500/20 px-1 text-[10px] font-semibold uppercase tracking-wide text-violet-300">synthetic</span>;
