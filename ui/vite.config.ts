import { defineConfig } from 'vitest/config';

// Relative asset URLs so the same build is served from any path; no inline script or style so a
// strict Content-Security-Policy (default-src 'self') works.
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The dependency scanner does not see the JSX import source above; name Preact's entry points.
  optimizeDeps: { noDiscovery: true, include: ['preact', 'preact/hooks', 'preact/jsx-runtime', 'preact/jsx-dev-runtime'] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    // Three pages: the softphone (`/`), the console (`/console`) and the demo's customer page
    // (`/demo/customer`, served only by `callbridge demo`); what they share (Preact, the API
    // client, the catalogues) becomes a chunk they load.
    rolldownOptions: {
      input: { index: 'index.html', console: 'console.html', customer: 'demo/customer.html' },
      // The charts' plotting code (uPlot) is loaded only by the console's charts page.
      output: { chunkFileNames: (chunk) => (chunk.name === 'draw' ? 'assets/charts-[hash].js' : 'assets/shared-[hash].js') },
    },
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.{ts,tsx}'],
  },
});
