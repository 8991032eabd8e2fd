// Messages both sections use. Section-specific messages live in
// src/portal/locales.js and src/console/locales.js.
export default {
  'zh-CN': {
    app: { name: '平安', fullName: '平安 · 政法综治事项平台' },
    lang: { label: '语言', 'zh-CN': '中文', en: 'English' },
    error: { network: '网络错误，请稍后重试', unknown: '出现错误' },
  },
  en: {
    app: { name: 'Pingan', fullName: 'Pingan · Case platform' },
    lang: { label: 'Language', 'zh-CN': '中文', en: 'English' },
    error: { network: 'Network error, please try again', unknown: 'Something went wrong' },
  },
}
