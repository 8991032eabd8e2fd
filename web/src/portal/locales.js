export default { 'zh-CN': { portal: {} }, en: { portal: {} } }
