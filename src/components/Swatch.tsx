/** A small colour square for legends. */
export function Swatch({ rgb, faded = false }: { rgb: [number, number, number]; faded?: boolean }) {
  return (
    <span
      aria-hidden="true"
      className={`inline-block h-3 w-3 shrink-0 rounded-sm ring-1 ring-white/20 ${faded ? "opacity-25" : ""}`}
      style={{ backgroundColor: `rgb(${rgb[0]} ${rgb[1]} ${rgb[2]})` }}
    />
  );
}
