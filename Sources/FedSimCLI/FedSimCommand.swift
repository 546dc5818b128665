import ArgumentParser

@main
struct FedSimCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fedsim",
    abstract: "Simulate federated and decentralized LoRA fine-tuning of on-device language models.",
    subcommands: [])
}
