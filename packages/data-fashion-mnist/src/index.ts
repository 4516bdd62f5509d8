// Not built yet: see this package's README for what it will hold.
export {};
