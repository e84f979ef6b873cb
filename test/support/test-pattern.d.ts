export function testPattern(
  out: string,
  options: { size?: string; fps?: number; seconds: number; output?: string[] },
): string;
