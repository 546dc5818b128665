import Testing

@testable import Simulation

@Suite struct ServerSimulationTests {
  /// Constant devices and links: every time in the trace is known in closed form.
  @Test func synchronousRoundTimeIsExact() throws {
    let task = MeanTask(dimension: 125_000, bytesPerValue: 8, flops: { _ in 2e9 })  // 1 MB messages, 2 GFLOP
    let network = NetworkModel(
      uplink: LinkModel(latency: .constant(0.05), bandwidth: .constant(5e5)),
      downlink: LinkModel(latency: .constant(0.1), bandwidth: .constant(1e6)))
    let settings = SimulationSettings(clients: 4, devices: DeviceModel(speed: .constant(1e9)), network: network)
    let simulation = try ServerSimulation(
      task: task, settings: settings, mode: .synchronous(SynchronousRounds(rounds: 3, clientsPerRound: 4)))
    let result = try simulation.run()
    // Down 0.1 + 1e6/1e6, compute 2e9/1e9, up 0.05 + 1e6/5e5.
    let round = ((0.1 + 1.0) + 2.0) + (0.05 + 2.0)
    #expect(result.rounds.count == 3)
    #expect(abs(result.rounds[0].endTime - round) < 1e-12)
    #expect(abs(result.simulatedTime - 3 * round) < 1e-9)
    #expect(result.rounds.allSatisfy { $0.aggregatedReports == 4 && $0.bytesDown == 4_000_000 && $0.bytesUp == 4_000_000 })
  }

  @Test func sameSeedSameTraceWhateverTheWorkerCount() throws {
    func run(workers: Int, seed: UInt64 = 3) throws -> (UInt64, [Double]) {
      let task = MeanTask(flops: { 1e9 * Double(1 + $0 % 5) })
      let settings = SimulationSettings(
        clients: 50, seed: seed, workers: workers,
        devices: DeviceModel(speed: .logNormal(median: 1e9, sigma: 0.5), dropoutProbability: 0.1),
        network: NetworkModel(
          uplink: LinkModel(latency: .uniform(low: 0.01, high: 0.2), bandwidth: .logNormal(median: 1e5, sigma: 0.3), lossProbability: 0.05))
      )
      let mode = ServerSimulation<MeanTask>.Mode.synchronous(
        SynchronousRounds(rounds: 6, clientsPerRound: 10, overSelection: 0.3, deadline: 20))
      let result = try ServerSimulation(task: task, settings: settings, mode: mode).run()
      return (result.trace.hash, task.model)
    }
    let one = try run(workers: 1)
    let three = try run(workers: 3)
    #expect(one.0 == three.0)
    #expect(one.1 == three.1)
    #expect(try run(workers: 1, seed: 4).0 != one.0)
  }

  @Test func deadlineCutsStragglersAndOverSelectionTakesTheFirstReports() throws {
    // Client speeds 1, 2, …, 10 GFLOP/s; work 10 GFLOP; no network delay to speak of.
    let task = MeanTask(dimension: 1, flops: { _ in 1e10 })
    let fast = LinkModel(latency: .constant(0), bandwidth: .constant(1e12))
    let settings = SimulationSettings(
      clients: 10, devices: DeviceModel(speed: .values((1...10).map { Double($0) * 1e9 })),
      network: NetworkModel(uplink: fast, downlink: fast), keepsTrace: true)
    // Deadline 4 s: clients with speed ≥ 2.5e9 (ids 2...9, eight of them) make it.
    let withDeadline = try ServerSimulation(
      task: task, settings: settings, mode: .synchronous(SynchronousRounds(rounds: 1, clientsPerRound: 10, deadline: 4))
    ).run()
    #expect(withDeadline.rounds[0].aggregatedReports == 8)
    #expect(abs(withDeadline.rounds[0].endTime - 4) < 1e-9)
    #expect(Set(task.aggregations[0].clients) == Set(2...9))
    // Over-selection: 10 selected, the server keeps the first 5 reports (the fastest five).
    let task2 = MeanTask(dimension: 1, flops: { _ in 1e10 })
    let first5 = try ServerSimulation(
      task: task2, settings: settings,
      mode: .synchronous(SynchronousRounds(rounds: 1, clientsPerRound: 5, overSelection: 1))
    ).run()
    #expect(first5.rounds[0].selected == 10)
    #expect(task2.aggregations[0].clients == [9, 8, 7, 6, 5])
    #expect(abs(first5.rounds[0].endTime - 10.0 / 6) < 1e-9)  // the fifth fastest, client 5, runs at 6 GFLOP/s
  }

  @Test func dropoutsAndLossesAreAccountedFor() throws {
    let task = MeanTask()
    let settings = SimulationSettings(
      clients: 200, seed: 9, devices: DeviceModel(dropoutProbability: 0.2),
      network: NetworkModel(uplink: LinkModel(lossProbability: 0.1), downlink: LinkModel(lossProbability: 0.1)))
    let result = try ServerSimulation(
      task: task, settings: settings,
      mode: .synchronous(SynchronousRounds(rounds: 10, clientsPerRound: 20))
    ).run()
    let dropouts = result.rounds.reduce(0) { $0 + $1.dropouts }
    let lost = result.rounds.reduce(0) { $0 + $1.lostMessages }
    #expect(dropouts > 0 && lost > 0)
    for round in result.rounds {
      // Without a deadline every selected client is accounted for in its own round.
      #expect(round.selected == round.aggregatedReports + round.dropouts + round.lostMessages)
    }
  }

  @Test func roundsFailBelowTheMinimumReports() throws {
    let task = MeanTask()
    let settings = SimulationSettings(clients: 10, devices: DeviceModel(dropoutProbability: 1))
    let result = try ServerSimulation(
      task: task, settings: settings,
      mode: .synchronous(SynchronousRounds(rounds: 3, clientsPerRound: 5, minimumReports: 3))
    ).run()
    #expect(result.rounds.count == 3)
    #expect(result.rounds.allSatisfy { !$0.aggregated && $0.dropouts == 5 })
    #expect(task.aggregations.isEmpty)
  }

  @Test func bufferedAsynchronousRecordsStaleness() throws {
    let task = MeanTask(flops: { 1e9 * Double(1 + $0 % 7) })
    let settings = SimulationSettings(clients: 100, seed: 2, devices: DeviceModel(speed: .logNormal(median: 1e9, sigma: 0.4)))
    let result = try ServerSimulation(
      task: task, settings: settings,
      mode: .bufferedAsynchronous(BufferedAsynchronous(serverUpdates: 12, concurrency: 20, bufferSize: 5))
    ).run()
    #expect(result.rounds.count == 12)
    #expect(task.aggregations.allSatisfy { $0.clients.count == 5 })
    #expect(result.rounds.contains { $0.maxStaleness > 0 })
    let staleLimited = MeanTask(flops: { 1e9 * Double(1 + $0 % 7) })
    let limited = try ServerSimulation(
      task: staleLimited, settings: settings,
      mode: .bufferedAsynchronous(BufferedAsynchronous(serverUpdates: 12, concurrency: 20, bufferSize: 5, maxStaleness: 1))
    ).run()
    #expect(staleLimited.aggregations.allSatisfy { $0.staleness.allSatisfy { $0 <= 1 } })
    #expect(limited.rounds.reduce(0) { $0 + $1.discardedReports } > 0)
  }

  @Test func largePopulationsKeepStateOnlyForParticipants() throws {
    let task = MeanTask()
    let settings = SimulationSettings(clients: 10_000, seed: 5, devices: DeviceModel(availability: .bernoulli(0.5)))
    let result = try ServerSimulation(
      task: task, settings: settings,
      mode: .synchronous(SynchronousRounds(rounds: 3, clientsPerRound: 100))
    ).run()
    #expect(result.rounds.allSatisfy { $0.aggregatedReports == 100 })
    #expect(result.clientsWithState <= 300 && result.clientsWithState > 250)
  }

  @Test func invalidSchedulesAreRejected() {
    let task = MeanTask()
    let settings = SimulationSettings(clients: 10)
    #expect(throws: SimulationError.invalidParameter(field: "schedule.clients_per_round", value: "11", expected: "1...10 (the population)"))
    {
      try ServerSimulation(task: task, settings: settings, mode: .synchronous(SynchronousRounds(rounds: 1, clientsPerRound: 11)))
    }
    #expect(throws: SimulationError.self) {
      try ServerSimulation(
        task: task, settings: SimulationSettings(clients: 10, devices: DeviceModel(speed: .constant(-1))),
        mode: .synchronous(SynchronousRounds(rounds: 1, clientsPerRound: 1)))
    }
  }
}

@Suite struct StreamingAggregationTests {
  @Test(arguments: [1, 3])
  func streamingTasksHoldNoRepliesAndMatchTheBatchResult(workers: Int) throws {
    let settings = SimulationSettings(
      clients: 40, seed: 6, workers: workers, devices: DeviceModel(speed: .logNormal(median: 1e9, sigma: 0.7)))
    let mode = ServerSimulation<MeanTask>.Mode.synchronous(SynchronousRounds(rounds: 4, clientsPerRound: 25))
    let batch = MeanTask()
    _ = try ServerSimulation(task: batch, settings: settings, mode: mode).run()
    let streaming = StreamingMeanTask()
    let result = try ServerSimulation(
      task: streaming, settings: settings, mode: .synchronous(SynchronousRounds(rounds: 4, clientsPerRound: 25))
    ).run()
    #expect(streaming.largestBatchHeld == 0)
    #expect(result.rounds.allSatisfy { $0.aggregatedReports == 25 })
    for (a, b) in zip(batch.model, streaming.inner.model) { #expect(abs(a - b) < 1e-12) }
  }
}

@Suite struct LocalWorkBatchTests {
  /// Four jobs per worker until a report's size is known; then as many reports as fit 64 MB,
  /// between four and 64 jobs per worker.
  @Test func batchesGrowForSmallReports() {
    #expect(ServerSimulation<MeanTask>.batchSize(workers: 2, reportBytes: nil) == 8)
    #expect(ServerSimulation<MeanTask>.batchSize(workers: 2, reportBytes: 400) == 128)
    #expect(ServerSimulation<MeanTask>.batchSize(workers: 2, reportBytes: 1 << 20) == 64)
    #expect(ServerSimulation<MeanTask>.batchSize(workers: 2, reportBytes: 100 << 20) == 8)
    #expect(ServerSimulation<MeanTask>.batchSize(workers: 1, reportBytes: 0) == 64)
  }
}
