import ArgumentParser
import FedSim

struct FedSimCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fedsim",
    abstract: "Simulate federated and decentralized LoRA fine-tuning of on-device language models.",
    version: FedSimVersion.string,
    subcommands: [
      RunCommand.self, SweepCommand.self, ReportCommand.self, ValidateCommand.self, PretrainCommand.self, FinetuneCommand.self,
      EvalCommand.self,
      BenchCommand.self,
      PrivacyCommand.self, AuditCommand.self, DoctorCommand.self,
    ])
}
