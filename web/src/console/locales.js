export default { 'zh-CN': { console: {} }, en: { console: {} } }
