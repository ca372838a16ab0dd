"""The datatrove pipeline the benchmark compares with: run it with datatrove's own Python (see run.py).

JSONL reader, Gopher repetition and quality filters, C4 quality filter, then datatrove's four
MinHash dedup stages and a JSONL writer: comparable work to `cleaner clean` on text input.
"""

import sys
import time

from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter
from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter


def main(source: str, work: str, workers: int) -> None:
    config = MinhashConfig()
    tasks = workers
    stages = [
        [JsonlReader(source), GopherRepetitionFilter(), GopherQualityFilter(),
         C4QualityFilter(filter_no_terminal_punct=False), JsonlWriter(f"{work}/filtered"),
         ],
        [JsonlReader(f"{work}/filtered"), MinhashDedupSignature(f"{work}/signatures", config=config)],
        [MinhashDedupBuckets(f"{work}/signatures", f"{work}/buckets", config=config)],
        [MinhashDedupCluster(f"{work}/buckets", f"{work}/remove_ids", config=config)],
        [JsonlReader(f"{work}/filtered"), MinhashDedupFilter(f"{work}/remove_ids"), JsonlWriter(f"{work}/out")],
    ]
    start = time.perf_counter()
    for i, pipeline in enumerate(stages):
        n = config.num_buckets if i == 2 else (1 if i == 3 else tasks)
        LocalPipelineExecutor(pipeline=pipeline, tasks=n, workers=workers, logging_dir=f"{work}/logs/{i}",
                              skip_completed=False).run()
    print(f"SECONDS {time.perf_counter() - start:.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
