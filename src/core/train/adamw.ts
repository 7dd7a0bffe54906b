/**
 * AdamW over Float32Arrays, as torch.optim.AdamW computes it (decoupled weight decay, bias
 * correction, eps added after the square root; no amsgrad). Plain data state, so it can be
 * saved, restored or sent to a worker. Pure TypeScript: the browser worker and the Node CLI
 * share it.
 */
export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** torch.optim.AdamW's defaults. */
export const ADAMW_DEFAULTS: AdamWOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 };

export interface AdamWState {
  /** Steps taken so far (PyTorch's `step`). */
  step: number;
  /** First and second moment estimates, one per parameter tensor. */
  m: Float32Array[];
  v: Float32Array[];
}

export function adamwInit(params: readonly Float32Array[]): AdamWState {
  return { step: 0, m: params.map((p) => new Float32Array(p.length)), v: params.map((p) => new Float32Array(p.length)) };
}

/**
 * One AdamW step, in place on `params` and `state`. For each element, with t = step + 1:
 *   p -= lr * wd * p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 */
export function adamwStep(params: Float32Array[], grads: readonly ArrayLike<number>[], state: AdamWState, options: Partial<AdamWOptions> = {}): void {
  const { lr, betas: [b1, b2], eps, weightDecay } = { ...ADAMW_DEFAULTS, ...options };
  if (params.length !== grads.length || params.length !== state.m.length) throw new Error(`AdamW: ${params.length} parameters, ${grads.length} gradients, ${state.m.length} states`);
  const t = ++state.step;
  const stepSize = lr / (1 - b1 ** t);
  const bc2Sqrt = Math.sqrt(1 - b2 ** t);
  const decay = 1 - lr * weightDecay;
  params.forEach((p, i) => {
    const g = grads[i];
    const m = state.m[i];
    const v = state.v[i];
    if (g.length !== p.length || m.length !== p.length) throw new Error(`AdamW: parameter ${i} has ${p.length} values, its gradient ${g.length}`);
    for (let k = 0; k < p.length; k++) {
      const gk = g[k];
      m[k] = b1 * m[k] + (1 - b1) * gk;
      v[k] = b2 * v[k] + (1 - b2) * gk * gk;
      p[k] = p[k] * decay - (stepSize * m[k]) / (Math.sqrt(v[k]) / bc2Sqrt + eps);
    }
  });
}
