// Vite configuration: one application serving the public portal at / and the
// staff console at /console/. Element Plus components are imported on demand
// (unplugin-vue-components), so the portal's first bundle stays small.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

export default defineConfig({
  plugins: [
    vue(),
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
  ],
  base: '/',
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' } },
  test: {
    environment: 'happy-dom',
    include: ['tests/unit/**/*.test.js'],
    // Element Plus's on-demand style imports are .css files: let Vite handle
    // them (component tests of the console mount Element Plus components).
    server: { deps: { inline: [/element-plus/] } },
  },
})
