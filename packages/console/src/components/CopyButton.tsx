import { useState } from "react";

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="secondary"
      aria-label={label}
      onClick={() =>
        navigator.clipboard.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        )
      }
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

/** A value shown once (a token, a command): selectable text and a copy button. */
export function OnceValue({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div className="once">
      <label htmlFor={id}>{label}</label>
      <div className="once-row">
        <textarea id={id} readOnly value={value} rows={Math.min(4, Math.ceil(value.length / 60))} />
        <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} />
      </div>
    </div>
  );
}
