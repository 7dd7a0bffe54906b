// niivue uploads a scan's voxels to the GPU with one texSubImage3D each time it rebuilds its
// layers (a new scan, a window change): the page held ~200 ms for a 98 MB float scan under
// software WebGL (e2e/size.spec.ts). Here the voxels go into a GPU buffer ahead, a slab per
// task, and niivue's upload of that same array is served from the buffer: a copy the GPU
// process makes, which holds no script on the page.
import type { Steps } from "./steps";

type Upload = (...args: unknown[]) => void;

export class StagedUpload {
  private staged: { buffer: WebGLBuffer; source: ArrayBufferView } | null = null;

  constructor(private gl: WebGL2RenderingContext) {
    const own = gl.texSubImage3D.bind(gl) as Upload;
    gl.texSubImage3D = ((...args: unknown[]) => {
      const staged = this.staged;
      const src = args[10];
      // the whole array from its start, as niivue uploads a volume: served from the buffer
      if (staged && ArrayBuffer.isView(src) && src.buffer === staged.source.buffer && src.byteOffset === staged.source.byteOffset && src.byteLength === staged.source.byteLength && !args[11]) {
        gl.bindBuffer(gl.PIXEL_UNPACK_BUFFER, staged.buffer);
        try {
          own(...args.slice(0, 10), 0);
        } finally {
          gl.bindBuffer(gl.PIXEL_UNPACK_BUFFER, null);
        }
        return;
      }
      own(...args);
    }) as typeof gl.texSubImage3D;
  }

  /** Put `data` in a GPU buffer, about `stepBytes` per step; what was staged before is dropped. */
  *stageSteps(data: ArrayBufferView, stepBytes = 4 << 20): Steps<void> {
    this.release();
    const gl = this.gl;
    const buffer = gl.createBuffer();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let staged = false;
    try {
      // bound only while it is written: any other upload in between reads from its own array
      gl.bindBuffer(gl.PIXEL_UNPACK_BUFFER, buffer);
      gl.bufferData(gl.PIXEL_UNPACK_BUFFER, bytes.length, gl.STATIC_DRAW);
      gl.bindBuffer(gl.PIXEL_UNPACK_BUFFER, null);
      let written: WebGLSync | null = null;
      for (let at = 0; at < bytes.length; at += stepBytes) {
        // one slab in flight: the next is written once the GPU process has taken the last (the
        // page otherwise waits on it, 54-73 ms, once its transfer memory is full)
        do yield;
        while (written && gl.getSyncParameter(written, gl.SYNC_STATUS) === gl.UNSIGNALED);
        if (written) gl.deleteSync(written);
        gl.bindBuffer(gl.PIXEL_UNPACK_BUFFER, buffer);
        gl.bufferSubData(gl.PIXEL_UNPACK_BUFFER, at, bytes, at, Math.min(stepBytes, bytes.length - at));
        gl.bindBuffer(gl.PIXEL_UNPACK_BUFFER, null);
        written = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
        gl.flush();
      }
      if (written) gl.deleteSync(written);
      this.staged = { buffer, source: data };
      staged = true;
    } finally {
      if (!staged) gl.deleteBuffer(buffer);
    }
  }

  /** Drop the staged copy: niivue's uploads read from their arrays again. */
  release() {
    if (this.staged) this.gl.deleteBuffer(this.staged.buffer);
    this.staged = null;
  }
}
