// QR codes of links, drawn in the browser with the same module and settings
// as the portal's receipt (npm qrcode, a PNG data URL): the survey
// invitations print one per card. Loaded only by the pages that draw them.
import QRCode from 'qrcode'

export function qrDataUrl(url) {
  return QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, width: 360 })
}
