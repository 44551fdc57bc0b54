"""An independent client: lists rounds over gRPC with Python code generated from proto/ by grpcio-tools.

Usage: list_draws.py GENERATED_DIR ADDRESS. Prints one JSON object: the rounds of every page and total_size.
"""

import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from expressentry.v1 import draw_pb2, draw_service_pb2, draw_service_pb2_grpc  # noqa: E402

with grpc.insecure_channel(sys.argv[2]) as channel:
    stub = draw_service_pb2_grpc.DrawServiceStub(channel)
    numbers, token, total = [], "", None
    while True:
        page = stub.ListDraws(draw_service_pb2.ListDrawsRequest(page_size=200, page_token=token), timeout=30)
        total = page.total_size
        numbers += [d.number for d in page.draws]
        token = page.next_page_token
        if not token:
            break
    healthcare = stub.ListDraws(
        draw_service_pb2.ListDrawsRequest(
            page_size=500, filter=draw_pb2.DrawFilter(category_id="healthcare", category_version=1)
        ),
        timeout=30,
    )
    try:
        stub.GetDraw(draw_service_pb2.GetDrawRequest(number="9999"), timeout=30)
        missing = "OK"
    except grpc.RpcError as e:
        missing = e.code().name
    print(json.dumps({
        "total_size": total,
        "numbers": numbers,
        "healthcare_v1": [(d.number, d.minimum_crs) for d in healthcare.draws],
        "missing": missing,
    }))
