import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Tauri's devUrl (src-tauri/tauri.conf.json) expects this fixed dev-server port; the
// built app is loaded from `dist/` through a custom protocol, so asset URLs are relative.
const host = process.env.TAURI_DEV_HOST;

export default defineConfig({
  base: './',
  plugins: [svelte()],
  clearScreen: false,
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  server: {
    port: 5173,
    strictPort: true,
    host: host || 'localhost',
    hmr: host ? { protocol: 'ws', host, port: 5174 } : undefined,
    watch: { ignored: ['**/src-tauri/**'] },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No inline scripts: keep the app friendly to a strict CSP.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
