"""Where the batch's actors stand on a cluster of several nodes (Ray's own
`ray.cluster_utils.Cluster`, all on this machine): in a module of its own, as a
process joins one cluster at a time and test_ray.py's is another."""

from __future__ import annotations

import pytest
from test_ray import LOCAL_ONLY, _client, _ray

from jixiao.store import Store


@pytest.fixture
def nodes(monkeypatch):
    """A head node with no CPU for reports, as a cluster's head is set up, and 2
    worker nodes; the cluster's own process joined to it."""
    ray = _ray()
    from ray.cluster_utils import Cluster

    monkeypatch.setenv(LOCAL_ONLY, "0")  # loopback only; its nodes inherit it
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
    ray.init(address=cluster.address, logging_level="WARNING", log_to_driver=False)
    yield cluster.head_node.node_id, [worker.node_id for worker in workers]
    ray.shutdown()
    cluster.shutdown()


def test_the_limiter_stands_on_the_head_and_a_finisher_on_each_worker(nodes, tmp_path):
    """An actor asking Ray for no resources lands on any node, whichever it is
    asked to stand on. The limiter on a worker node would start afresh when that
    node dies, its spacing of requests forgotten; a finisher away from its node
    reads its reports' readings from another node's memory."""
    import ray

    from jixiao.batch.cluster import RayBatch

    head, workers = nodes

    def node_of(actor) -> str:
        return ray.get(actor.__ray_call__.remote(lambda _: ray.get_runtime_context().get_node_id()))

    # Ray draws the node of such an actor at random: a few batches to catch it.
    for attempt in range(3):
        batch = RayBatch(Store(f"sqlite:///{tmp_path / f'{attempt}.db'}"), _client())
        batch._start()
        assert node_of(batch.limiter) == head
        assert sorted(map(node_of, batch.finishers)) == sorted(workers)
        for actor in [batch.limiter, *batch.finishers]:
            ray.kill(actor)
        batch.store.close()
