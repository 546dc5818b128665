import StateArchive

extension ServerSimulation where Task: DistributedTask, Task.PersistentState == Task.ClientState {
  /// Shards the local work over `cluster`: every rank runs this same simulation, each batch of
  /// local work runs on the ranks that own its clients, and the reports are exchanged so that
  /// every rank applies all of them in the single-process order. Call before `run()`, with the
  /// same scenario and seed on every rank (the number of workers may differ). Batches are sized
  /// for every rank's workers together. A cluster of one rank changes nothing.
  public func distribute(over cluster: any Cluster) throws(SimulationError) {
    guard cluster.size > 1 else {
      distributedBatch = nil
      batchWorkers = settings.workers
      return
    }
    // Every rank must cut the same batches: they agree on the workers of the whole cluster.
    var writer = ArchiveWriter()
    writer.write(settings.workers)
    do {
      var total = 0
      for part in try cluster.exchange(writer.bytes) {
        var reader = ArchiveReader(part)
        total += try reader.readInt()
      }
      batchWorkers = max(1, total)
    } catch {
      throw .cluster("agreeing on the workers: \(error)")
    }
    let task = self.task, pool = self.pool
    distributedBatch = { jobs throws(SimulationError) -> [Output] in
      try cluster.map(
        jobs, client: \.client, pool: pool,
        compute: Self.work(task),
        write: { job, output, writer in
          output.1.archive(to: &writer, task: task)
          task.archiveNotes(client: job.client, round: job.key, to: &writer)
        },
        read: { job, reader throws(ArchiveError) -> Output in
          let report = try LocalReport(from: &reader, task: task)
          try task.readNotes(client: job.client, round: job.key, from: &reader)
          return (job.state, report)
        })
    }
  }
}
