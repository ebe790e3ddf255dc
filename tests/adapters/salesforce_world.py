"""What Salesforce's objects cannot carry of the world, in whichever shape they arrive
(the export's CSVs or the tables Fivetran lands: the same objects and fields): the
``WorldCase.changed`` entries of the CRM tables for every world Salesforce delivers."""

from __future__ import annotations

SALESFORCE_CHANGED: dict[str, dict[str, tuple[str, str]]] = {
    "crm_accounts": {
        "account_name": ("trim(account_name)", "the adapter trims text fields"),
        "domain": ("nullif(regexp_replace(regexp_replace(lower(trim(domain)), "
                   "'^[a-z]+://', ''), '^www\\.|[/?#:].*$', '', 'g'), '')",
                   "Salesforce has a Website, read back as its host without www"),
    },
    "crm_contacts": {
        "email": ("trim(email)", "the adapter trims text fields"),
    },
    "crm_contracts": {
        "status": ("case when status = 'churned' then 'churned' when ended_on < "
                   "cast(updated_at as date) then 'expired' else 'active' end",
                   "an asset is installed or obsolete: a term renewed or run out on "
                   "the day it ended reads back active"),
    },
    "crm_activities": {
        "outcome": ("case when activity_type = 'email' then 'sent' "
                    "when outcome in ('inbound', 'no_answer') then outcome "
                    "else 'completed' end",
                    "a done task or event records neither a reply nor acceptance, "
                    "decline, pending or no-show"),
    },
}
