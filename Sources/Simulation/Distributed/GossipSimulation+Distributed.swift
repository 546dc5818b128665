import StateArchive

extension GossipSimulation where Task: DistributedTask, Task.PersistentState == Task.NodeState {
  /// Shards gossip over `cluster`: every rank runs this same simulation; local work and mixing
  /// run on the ranks that own the nodes, and what the others need (messages, notes of the work
  /// and of the mixing) is exchanged and applied in the single-process order — synchronous
  /// rounds mix in one exchange per round; asynchronous gossip, which mixes one node per event,
  /// sends its mixes' notes with the next batch of local work. Call before `run()`, with the
  /// same scenario and seed on every rank.
  public func distribute(over cluster: any Cluster) throws(SimulationError) {
    guard cluster.size > 1 else {
      distributedWork = nil
      distributedMix = nil
      distributedSettle = nil
      return
    }
    let task = self.task, pool = self.pool
    distributedWork = { inputs throws(SimulationError) -> [WorkOutput] in
      try cluster.map(
        inputs, client: \.node, pool: pool,
        compute: Self.work(task),
        write: { input, output, writer in
          output.report.archive(to: &writer, task: task)
          task.archiveNotes(client: input.node, round: input.round, to: &writer)
        },
        read: { input, reader throws(ArchiveError) -> WorkOutput in
          let report = try LocalReport(from: &reader, task: task)
          try task.readNotes(client: input.node, round: input.round, from: &reader)
          return (input.state, report)
        })
    }
    distributedMix = { inputs, round throws(SimulationError) -> [Task.NodeState] in
      try cluster.map(
        inputs, client: \.node, pool: pool,
        compute: Self.mix(task, round: round),
        write: { input, _, writer in task.archiveMixNotes(node: input.node, round: round, to: &writer) },
        read: { input, reader throws(ArchiveError) -> Task.NodeState in
          try task.readMixNotes(node: input.node, round: round, from: &reader)
          return input.state
        })
    }
    distributedSettle = { mixes throws(SimulationError) in
      var writer = ArchiveWriter()
      for mix in mixes where cluster.owns(mix.node) { task.archiveMixNotes(node: mix.node, round: mix.iteration, to: &writer) }
      let parts: [[UInt8]]
      do { parts = try cluster.exchange(writer.bytes) } catch { throw .cluster("\(error)") }
      var readers = parts.map { ArchiveReader($0) }
      for mix in mixes where !cluster.owns(mix.node) {
        let owner = cluster.owner(of: mix.node)
        do { try task.readMixNotes(node: mix.node, round: mix.iteration, from: &readers[owner]) } catch {
          throw .cluster("the mixing notes of node \(mix.node), iteration \(mix.iteration) from rank \(owner) do not decode: \(error)")
        }
      }
    }
  }
}
