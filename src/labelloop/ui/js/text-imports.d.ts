// esbuild imports CSS as text (`with { type: "text" }`) so the bundle stays one file.
declare module "*.css" {
  const text: string;
  export default text;
}
