// The Emscripten module of @niivue/dcm2niix, reached through the "dcm2niix-wasm" alias in
// vite.config.ts (the package exports only its own worker wrapper).
declare module "dcm2niix-wasm/dcm2niix.jpeg.js" {
  const create: import("../runtime/dcm2niix").Dcm2niixFactory;
  export default create;
}
