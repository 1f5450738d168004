import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";

/** A timestamp as "3 min ago", with the exact time on hover and for assistive technology. */
export function Time({ value, never = "never" }: { value: Timestamp | undefined; never?: string }) {
  if (!value || (value.seconds === 0n && value.nanos === 0)) return <span className="muted">{never}</span>;
  const date = timestampDate(value);
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()}>
      {relative(date)}
    </time>
  );
}

const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "3 minutes ago", "in 2 days": the platform's own relative-time formatting, at a sensible unit. */
export function relative(date: Date, now = Date.now()): string {
  const s = Math.round((date.getTime() - now) / 1000);
  const a = Math.abs(s);
  if (a < 45) return "just now";
  if (a < 3600) return format.format(Math.round(s / 60), "minute");
  if (a < 86_400) return format.format(Math.round(s / 3600), "hour");
  return format.format(Math.round(s / 86_400), "day");
}
