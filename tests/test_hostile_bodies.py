"""Hostile request bodies get a plain 4xx quickly, and never slow down other clients.

A body is read only once its sender is authenticated, its size is capped while it streams in
(413), and the number of parts and the nesting are capped before it is parsed (400).  The
attacks here are the ones an adversarial pass found: with the body read and parsed first, an
authenticated `whoami` took over a minute while anonymous clients sent big bodies.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx

from ironworks.lab.harness import APIClient, Region
from ironworks.region.api.auth import plaintext_header
from ironworks.region.api.body import MAX_BODY

FAST_S = 5.0  # a refusal comes back within this, though the body would take far longer
WHOAMI_BOUND_S = 2.0


def open_request(region: Region, path: str, headers: dict[str, str]) -> socket.socket:
    """A raw POST whose headers are sent and whose body is left to the caller."""
    url = urlsplit(region.url)
    sock = socket.create_connection((url.hostname, url.port), timeout=FAST_S)
    lines = [f"POST /MAAS/api/2.0/{path} HTTP/1.1", f"Host: {url.hostname}:{url.port}",
             *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    sock.sendall("\r\n".join(lines).encode())
    return sock


def read_status(sock: socket.socket) -> tuple[int, bytes]:
    """The status code and the head of the response (the server may still be taking the body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return int(data.split(b" ", 2)[1]), data


def test_an_anonymous_body_is_refused_without_being_read(region: Region) -> None:
    """600 MB announced, a few bytes sent: the 401 comes back at once, not after the upload."""
    sock = open_request(region, "machines/", {"Content-Type": "application/x-www-form-urlencoded",
                                              "Content-Length": str(600 * 1024 * 1024)})
    started = time.monotonic()
    sock.sendall(b"hostname=a&" * 100)
    status, _ = read_status(sock)
    sock.close()
    assert status == 401
    assert time.monotonic() - started < FAST_S


def test_a_too_large_content_length_is_413_before_the_body_is_read(region: Region) -> None:
    sock = open_request(region, "zones/", {"Authorization": plaintext_header(region.apikey),
                                           "Content-Type": "application/x-www-form-urlencoded",
                                           "Content-Length": str(MAX_BODY + 1)})
    started = time.monotonic()
    sock.sendall(b"name=a&")
    status, data = read_status(sock)
    sock.close()
    assert status == 413
    assert time.monotonic() - started < FAST_S


def test_a_chunked_body_is_413_as_soon_as_it_passes_the_limit(region: Region) -> None:
    """No Content-Length to refuse up front: the region stops reading at the limit."""
    sock = open_request(region, "zones/", {"Authorization": plaintext_header(region.apikey),
                                           "Content-Type": "application/x-www-form-urlencoded",
                                           "Transfer-Encoding": "chunked"})
    chunk = b"%x\r\n%s\r\n" % (1024 * 1024, b"d" * 1024 * 1024)
    sent = 0
    answered = False
    while sent < 3 * MAX_BODY and not answered:  # the server must answer long before the end
        sock.sendall(chunk)
        sent += 1024 * 1024
        answered = bool(select.select([sock], [], [], 0)[0])
    status, data = read_status(sock)
    sock.close()
    assert status == 413, data[:300]
    assert sent < 3 * MAX_BODY


def multipart(boundary: str, parts: list[tuple[str, str]]) -> bytes:
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'
                   for n, v in parts)
    return (body + f"--{boundary}--\r\n").encode()


def nested_multipart(depth: int) -> bytes:
    body = b'Content-Disposition: form-data; name="name"\r\n\r\nx\r\n'
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary
                + b"\r\n" + body + b"\r\n--" + boundary + b"--")
    return body.split(b"\r\n\r\n", 1)[1]  # the outermost headers go in the request's header


def test_many_parts_are_400_without_parsing_them(api: APIClient) -> None:
    body = multipart("B", [("description", "x")] * 200_000 + [("name", "many")])
    started = time.monotonic()
    response = api.request("POST", "zones/", content=body,
                           headers={"Content-Type": 'multipart/form-data; boundary="B"'})
    assert response.status_code == 400 and "Too many parts" in response.text, response.text[:300]
    assert time.monotonic() - started < FAST_S
    assert api.get("zones/many/").status_code == 404


def test_many_urlencoded_fields_are_400(api: APIClient) -> None:
    response = api.post("zones/", "&".join(["description=x"] * 50_000) + "&name=many",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and "Too many parameters" in response.text


def test_deeply_nested_json_is_400(api: APIClient) -> None:
    body = '{"name": "deep", "description": ' + "[" * 1000 + "]" * 1000 + "}"
    response = api.request("POST", "zones/", content=body.encode(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text[:300]
    assert "nested too deeply" in response.text


def test_nested_multipart_is_400(api: APIClient) -> None:
    body = nested_multipart(3000)
    response = api.request("POST", "zones/", content=body,
                           headers={"Content-Type": "multipart/form-data; boundary=b2999"})
    assert response.status_code == 400, response.text[:300]
    assert "Nested multipart" in response.text


def test_whoami_keeps_its_latency_while_hostile_bodies_arrive(region: Region, api: APIClient) -> None:
    """Anonymous 30 MB bodies of tiny parts, and an authenticated client's too: each gets its
    4xx quickly, and another client's whoami stays fast throughout."""
    tiny_parts = multipart("B", [("a", "")] * 700_000)
    assert len(tiny_parts) > 30_000_000
    stop = threading.Event()

    def attack(apikey: str | None) -> list[int]:
        statuses = []
        with httpx.Client(timeout=60) as http:
            while not stop.is_set():
                headers = {"Content-Type": 'multipart/form-data; boundary="B"'}
                if apikey:
                    headers["Authorization"] = plaintext_header(apikey)
                statuses.append(http.post(api.url("machines/"), content=tiny_parts,
                                          headers=headers).status_code)
        return statuses

    latencies = []
    with ThreadPoolExecutor(4) as pool:
        attacks = [pool.submit(attack, key) for key in (None, None, None, region.apikey)]
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert api.get("users/", op="whoami").status_code == 200
            latencies.append(time.monotonic() - started)
        stop.set()
        statuses = [s for a in attacks for s in a.result()]
    assert set(statuses) == {400, 401} and statuses.count(400) >= 1, statuses
    assert max(latencies) < WHOAMI_BOUND_S, sorted(latencies)[-5:]
    print(json.dumps({"whoami_max_s": round(max(latencies), 3), "whoami_calls": len(latencies),
                      "hostile_bodies": len(statuses)}))
