// GitHub workflow commands: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

export function annotation(
  level: "error" | "warning" | "notice",
  message: string,
  where: { file?: string; line?: number; col?: number; title?: string } = {},
): string {
  const props = Object.entries(where)
    .filter(([, v]) => v !== undefined && v !== 0 && v !== "")
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(",");
  return `::${level}${props ? ` ${props}` : ""}::${escapeData(message)}\n`;
}
