// Vite builds the browser app into dist/, which the server embeds (crates/hearth-server/build.rs).
// In development (`npm run dev`), /api and /setup are proxied to a running server; start that
// server with HEARTH_PUBLIC_URL=http://localhost:5173 so its same-origin checks and the setup
// link agree with the address the browser uses (see README.md).
import { defineConfig } from 'vite';

const api = process.env.HEARTH_DEV_SERVER ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // Preact's automatic JSX runtime, without a plugin: Vite's own transform does it.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2020',
    // Everything is a file (no data: URLs), so a strict Content-Security-Policy can apply.
    assetsInlineLimit: 0,
  },
  server: {
    host: 'localhost',
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: api, ws: true },
      '/setup': { target: api },
    },
  },
});
