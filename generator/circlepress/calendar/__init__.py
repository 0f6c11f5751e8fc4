"""Time: ICS files and calendar links, the facilitator rota search and the `plan` command."""
