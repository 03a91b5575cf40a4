import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct Throughline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughline",
        abstract: "An event-sourced customer timeline: one append-only log of everything that touches a customer.",
        subcommands: [ImportCommand.self, VerifyCommand.self, StatsCommand.self, DumpCommand.self, CopyCommand.self, GenerateCommand.self, ServeCommand.self, AppendCommand.self, TimelineCommand.self, ContextCommand.self, ScoresCommand.self, ExplainCommand.self, AccountsCommand.self, UnlinkedCommand.self, DataQualityCommand.self, ReplayCommand.self, RebuildCommand.self, RulesCommand.self, AlertsCommand.self, TriageCommand.self, PatternsCommand.self, TokensCommand.self, UsersCommand.self, AuditCommand.self, ForgetCommand.self]
    )

    /// Every file and directory a command makes (segments, read models, reports) is readable by
    /// its owner alone.
    static func main() async {
        umask(0o077)
        await main(nil)
    }
}
