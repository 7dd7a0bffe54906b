/** A file's SHA-256 as lowercase hex (WebCrypto: the browser, its workers and Node alike). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A scan's identity whatever its file: SHA-256 of its grid (dims, affine) and voxels as read. The
 * same scan gzipped or not, or served decompressed by a web server (Content-Encoding), gives one
 * value, where the file's sha256 differs: a study recognises the scans an adapter learnt from by it.
 */
export async function volumeSha256(v: { dims: readonly number[]; affine: readonly number[]; data: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number } }): Promise<string> {
  const head = new Uint8Array(Float64Array.from([...v.dims, ...v.affine]).buffer);
  const all = new Uint8Array(head.byteLength + v.data.byteLength);
  all.set(head);
  all.set(new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength), head.byteLength);
  return sha256Hex(all);
}
