import Testing

@testable import FedSim

@Suite struct SweepTests {
  @Test func crossProductLabelsAndValidation() throws {
    let sweep = try Sweep(
      scenarioText: RunnerTests.scenarioText, file: "tiny.yaml", baseDirectory: nil,
      grid: ["aggregator.name=local,fedavg", "data.partition.alpha=0.1,1"], seeds: 2, overrides: [])
    #expect(sweep.combinations == [["local", "0.1"], ["local", "1"], ["fedavg", "0.1"], ["fedavg", "1"]])
    #expect(sweep.label(["local", "0.1"]) == "aggregator.name=local_data.partition.alpha=0.1")
    #expect(sweep.overrides(for: ["local", "0.1"], seed: 1) == ["aggregator.name=local", "data.partition.alpha=0.1", "seed=1"])
    let scenarios = try sweep.validateAll()
    #expect(scenarios.count == 4 && scenarios.allSatisfy { $0.count == 2 })
    #expect(scenarios[3][1].aggregator.name == "fedavg" && scenarios[3][1].seed == 1)
    // A bad value anywhere in the grid is caught before anything runs.
    let bad = try Sweep(
      scenarioText: RunnerTests.scenarioText, file: "tiny.yaml", baseDirectory: nil,
      grid: ["aggregator.name=fedavg,fedavgg"], seeds: 1, overrides: [])
    #expect(throws: ScenarioError.self) { try bad.validateAll() }
    #expect(throws: ScenarioError.self) {
      try Sweep(
        scenarioText: RunnerTests.scenarioText, file: "tiny.yaml", baseDirectory: nil, grid: ["aggregator.name="], seeds: 1, overrides: [])
    }
  }

  /// An axis over whole sections pairs each aggregator with its own options (fedavg would
  /// reject the median's `trim`); commas inside braces belong to the value.
  @Test func anAxisCanRangeOverSections() throws {
    let sweep = try Sweep(
      scenarioText: RunnerTests.scenarioText, file: "tiny.yaml", baseDirectory: nil,
      grid: ["aggregator={name: local},{name: fedavg, options: {server_optimizer: adam, server_lr: 0.1}}", "seed=0"], seeds: 1,
      overrides: [])
    #expect(sweep.axes[0].values == ["{name: local}", "{name: fedavg, options: {server_optimizer: adam, server_lr: 0.1}}"])
    #expect(sweep.label(sweep.combinations[1]) == "aggregator=fedavg_server_optimizer=adam_server_lr=0.1_seed=0")
    let scenarios = try sweep.validateAll()
    #expect(scenarios[0][0].aggregator.name == "local" && scenarios[0][0].aggregator.options.isEmpty)
    #expect(scenarios[1][0].aggregator.options["server_optimizer"] == "adam")
    #expect(Sweep.splitValues("a,'b,c',[1, 2]") == ["a", "'b,c'", "[1, 2]"])
  }

  @Test func tablesReportMeanAndSampleStandardDeviation() throws {
    let sweep = try Sweep(
      scenarioText: RunnerTests.scenarioText, file: "tiny.yaml", baseDirectory: nil,
      grid: ["aggregator.name=local,fedavg"], seeds: 3, overrides: [])
    let (markdown, csv) = sweep.tables(
      [[["loss": 1], ["loss": 2], ["loss": 3]], [["loss": 5], ["loss": 5], ["loss": 5]]], metrics: ["loss"])
    #expect(markdown.contains("| local | 2.0000 ± 1.0000 | 0/3 | 3 |"))
    #expect(markdown.contains("| fedavg | 5.0000 ± 0.0000 | 0/3 | 3 |"))
    #expect(csv.hasPrefix("aggregator.name,loss_mean,loss_std,diverged,failed,seeds\nlocal,2.0,1.0,0,0,3\n"))
  }
}
