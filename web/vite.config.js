// Vite configuration: one application serving the public portal at / and the
// staff console at /console/. Element Plus components are imported on demand
// (unplugin-vue-components), so the portal's first bundle stays small.
//
// The build precompiles every message file (@intlify/unplugin-vue-i18n): the
// messages become functions, so the runtime-only vue-i18n is shipped, without
// its message compiler. The dev server and the unit tests keep the plain
// strings and the full build (the tests read the message files as data).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import VueI18nPlugin from '@intlify/unplugin-vue-i18n/vite'

const src = (p) => fileURLToPath(new URL(`./src/${p}`, import.meta.url))

// Message files: named locales.js or messages.js anywhere under src/, or any
// file in src/locales/ (tests/unit/i18n-files.test.js keeps every file that
// holds messages among them: in production a message that was not
// precompiled is not shown, since the message compiler is not shipped).
export const MESSAGE_FILES = ['locales/*.js', '**/locales.js', '**/messages.js']

export default defineConfig(({ command }) => ({
  plugins: [
    vue(),
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
    ...(command === 'build' && !process.env.VITEST
      ? [VueI18nPlugin({
          include: MESSAGE_FILES.map(src),
          runtimeOnly: true,
          compositionOnly: true,
          fullInstall: false,
          strictMessage: true,
          dropMessageCompiler: true,
        })]
      : []),
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
}))
