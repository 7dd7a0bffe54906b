import { Component, type ErrorInfo, type ReactNode } from "react";

interface State {
  error: Error | null;
}

/** Keeps a rendering bug in one part of the page from blanking the whole app. */
export class ErrorBoundary extends Component<{ children: ReactNode; area: string }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`siteseg: the ${this.props.area} crashed`, error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div role="alert" className="m-3 rounded-md border border-red-500/50 bg-red-950/60 p-3 text-sm text-red-100">
        <p className="font-semibold">The {this.props.area} stopped working.</p>
        <p className="mt-1 break-words text-red-200/90">{error.message}</p>
        <div className="mt-2 flex gap-2">
          <button type="button" className="rounded bg-red-800/70 px-2 py-1 text-xs hover:bg-red-700" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
          <button type="button" className="rounded bg-slate-800 px-2 py-1 text-xs hover:bg-slate-700" onClick={() => window.location.reload()}>
            Reload page
          </button>
        </div>
      </div>
    );
  }
}
