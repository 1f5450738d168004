import { useId, useState } from "react";

/** A destructive action asked twice: the first press shows what will happen and a confirm button. */
export function ConfirmButton({
  label,
  name,
  question,
  confirmLabel,
  onConfirm,
  pending,
}: {
  label: string;
  /** The first button's accessible name when its label alone is ambiguous (one per row: "Remove"). */
  name?: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  pending?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const id = useId();
  if (!asking) {
    return (
      <button type="button" className="danger" aria-label={name} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <fieldset className="confirm" aria-labelledby={id}>
      <legend id={id}>{question}</legend>
      <button type="button" className="danger" onClick={onConfirm} disabled={pending}>
        {confirmLabel}
      </button>
      <button type="button" className="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </fieldset>
  );
}
