export declare const ALLOWED: Record<string, string[]>;
export declare const CLIENT_OWNERS: Record<string, string>;
export declare const isClient: (dependency: string, client: string) => boolean;
