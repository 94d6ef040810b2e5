/** The longest token the gateway issues or accepts; it must fit nginx's default 8 KiB header buffers. */
export const MAX_TOKEN_LENGTH = 4096;
