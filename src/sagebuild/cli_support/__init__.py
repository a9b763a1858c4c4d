"""The parts of the `sagebuild` CLI: where it talks to (`aws`), runs (`runs`), the pipeline graph
(`graph`), the local stack service (`service`), logs (`logs`) and rich output (`render`)."""
