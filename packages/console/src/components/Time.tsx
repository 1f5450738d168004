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

export function relative(date: Date, now = Date.now()): string {
  const s = Math.round((now - date.getTime()) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  const text =
    a < 45
      ? "just now"
      : a < 3600
        ? `${Math.round(a / 60)} min`
        : a < 86_400
          ? `${Math.round(a / 3600)} h`
          : `${Math.round(a / 86_400)} d`;
  if (text === "just now") return text;
  return future ? `in ${text}` : `${text} ago`;
}
