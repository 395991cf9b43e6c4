// esbuild bundles the CSS a module imports into the stylesheet next to the script.
declare module '*.css';
