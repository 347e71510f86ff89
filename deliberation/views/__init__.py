"""Pages for matters and meetings: `ledger` (and proposing), `matter_page`, `matter_actions`,
`boards` (resolutions, receptions, escalations, notifications) and `meetings`. Views parse input,
call one service or access helper, and render."""
