// The few host globals the pure core relies on; both browsers and Node provide them.
// Declared here so the core compiles without DOM or Node types (tsconfig.core.json).
declare const performance: { now(): number };
interface AbortSignal {
  readonly aborted: boolean;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare const crypto: { subtle: { digest(algorithm: string, data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> } };
