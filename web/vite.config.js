// Builds the staff app into api/web/static/app/, served by the API under /staff/ (see api/web/router.py).
// Element Plus components and their CSS are imported where used (unplugin-vue-components), so each
// section's chunk carries only what it shows; sections are lazy routes (src/sections.js).
import { fileURLToPath, URL } from "node:url";
import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/app/",
  plugins: [
    vue(),
    Components({ dts: false, resolvers: [ElementPlusResolver({ importStyle: "css" })] }),
  ],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  build: {
    outDir: fileURLToPath(new URL("../api/web/static/app", import.meta.url)),
    emptyOutDir: true,
    // The strict CSP of our pages (script-src 'self') forbids inline scripts: keep everything in files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 900,
    reportCompressedSize: false,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8000", "/ws": { target: "ws://127.0.0.1:8000", ws: true } } },
});
