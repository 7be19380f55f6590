export { createApi, csrfHeader, type Api, type Fetch } from './client';
export * from './types';
export * from './protocol-additions';
