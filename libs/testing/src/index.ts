export { faceOfNobody } from './faces';
export { freePort } from './ports';
export { pngFile, type PngHeader } from './png';
export { sleep, until } from './wait';
export { strictMock } from './strict-mock';
