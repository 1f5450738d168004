-- Service accounts over the API (ServiceAccountService, behaviour.md §12). They stay rows of
-- `members` (kind = 'service_account'); these columns are theirs. Users leave them at their
-- defaults. Service accounts made by the CLI before this have no creator and no validity.
alter table members add column description text not null default ''
  check (length(description) <= 500);
alter table members add column creator_id uuid;
alter table members add column creator_principal text
  check (creator_principal in ('user', 'service_account'));
alter table members add column valid_until timestamptz;
alter table members add constraint members_creator_check
  check ((creator_id is null) = (creator_principal is null));
