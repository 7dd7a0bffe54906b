import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import pkg from "./package.json" with { type: "json" };

// Cross-origin isolation lets onnxruntime-web use WASM threads (SharedArrayBuffer).
const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  plugins: [
    react(),
    tailwindcss(),
    // Installable and offline after one visit: the service worker precaches the whole bundle
    // (app, onnxruntime's wasm, models, sample sites). Workbox via vite-plugin-pwa, not a
    // hand-written cache.
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: "script", // a file, not an inline script: the CSP allows only 'self'
      manifest: {
        name: "siteseg — brain MRI segmentation with site adapters",
        short_name: "siteseg",
        description: "Segments brain MRI in the browser, offline; nothing leaves the machine.",
        theme_color: "#0f172a",
        background_color: "#020617",
        display: "standalone",
        icons: [
          { src: "icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "icons/icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "icons/icon.svg", sizes: "any", type: "image/svg+xml" },
        ],
      },
      workbox: {
        globPatterns: ["**/*"],
        // onnxruntime's wasm is ~28 MiB
        maximumFileSizeToCacheInBytes: 64 * 2 ** 20,
        navigateFallback: "index.html",
        // the first visit is controlled at once, so it is already offline-ready
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
  resolve: {
    alias: {
      // dcm2niix's Emscripten module and wasm, which @niivue/dcm2niix does not export: the DICOM
      // worker imports them itself (src/worker/dicom.worker.ts), so they are served from this origin
      "dcm2niix-wasm": fileURLToPath(new URL("./node_modules/@niivue/dcm2niix/dist", import.meta.url)),
    },
  },
  // the app's version, for the provenance saved beside a mask
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: "es" },
  optimizeDeps: { exclude: ["onnxruntime-web"] },
  build: { target: "es2022", chunkSizeWarningLimit: 30000 },
});
