export { dbBackupsPlugin as default } from './plugin';
