"""Many sessions at once through the API under gunicorn, and two messages racing for one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.support import CHAT, GENERATE, HttpClient, check_session, cl100k_tokens
from tests.integration.helpers import finished_job, post_turn, run_turn
from tests.support.providers import draft, script

pytestmark = pytest.mark.integration

SESSIONS = 50
TURNS = 10
RACES = 30
API_ENV = {"TURN_RATE_LIMIT": "100000/minute", "READ_RATE_LIMIT": "100000/minute"}
WORKER_ENV = {"WORKER_CONCURRENCY": "32"}


def test_fifty_sessions_of_ten_turns_at_once(live_api, start_worker, redis_client, figures):
    base_url = live_api(**API_ENV).base_url
    start_worker("crowd", **WORKER_ENV)

    def converse(n: int) -> tuple[str, list[tuple[str, str]], list[dict], list[int]]:
        """One person: ten turns, each sent once the previous one has finished."""
        api = HttpClient(base_url)
        sid, turns, jobs, accepted_counts = None, [], [], []
        try:
            for t in range(TURNS):
                reply = f"Session {n}, turn {t}: updated."
                items = ((f"Item {t}", "1", f"{t + 1}.00"),)
                message = script(
                    sleep=0.1, reply=reply, invoice=draft(buyer=f"Client {n}", items=items)
                )
                response = post_turn(api, message, sid, GENERATE if t == 0 else CHAT)
                assert response.status_code == 202, response.get_json()
                sid = response.get_json()["session_id"]
                accepted_counts.append(response.get_json()["token_count"])
                jobs.append(finished_job(api, response.get_json()["job_id"], timeout=120))
                turns.append((message, reply))
        finally:
            api.close()
        return sid, turns, jobs, accepted_counts

    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        results = list(pool.map(converse, range(SESSIONS)))

    api = HttpClient(base_url)
    for n, (sid, turns, jobs, accepted_counts) in enumerate(results):
        assert {job["status"] for job in jobs} == {"succeeded"}
        session = api.get(f"/api/session/{sid}").get_json()
        assert len(session["messages"]) == 2 * TURNS
        check_session(session, turns)
        # the 202 counts the session so far plus the new message; the result adds the reply
        so_far = 0
        for (message, reply), counted, job in zip(turns, accepted_counts, jobs, strict=True):
            assert counted == so_far + cl100k_tokens(message)
            so_far = counted + cl100k_tokens(reply)
            assert job["result"]["token_count"] == so_far
        assert session["invoice"]["buyer"]["name"] == f"Client {n}"
        assert session["invoice"]["items"][0]["description"] == f"Item {TURNS - 1}"
        assert {job["result"]["invoice"]["number"] for job in jobs} == {
            session["invoice"]["number"]
        }
    numbers = {session_invoice_number(api, sid) for sid, *_ in results}
    assert numbers == {None}  # drafts: turns draw no number (issuing does: tests/core/records)
    assert int(redis_client.hget("metrics:counters", "jobs_succeeded")) == SESSIONS * TURNS
    figures(
        sessions=SESSIONS,
        turns_per_session=TURNS,
        turns=SESSIONS * TURNS,
        worker_greenlets=int(WORKER_ENV["WORKER_CONCURRENCY"]),
        messages_stored=sum(2 * len(turns) for _, turns, _, _ in results),
        histories_complete_and_ordered=SESSIONS,
        token_totals_exact=SESSIONS,
    )


def session_invoice_number(api: HttpClient, sid: str) -> str:
    return api.get(f"/api/session/{sid}").get_json()["invoice"]["number"]


def test_two_messages_at_once_to_one_session_one_is_refused(live_api, start_worker, figures):
    # two API servers (separate gunicorn masters), so the two requests race across processes
    urls = [live_api(**API_ENV).base_url, live_api(**API_ENV).base_url]
    start_worker("racer", **WORKER_ENV)
    first = HttpClient(urls[0])
    created, job = run_turn(first, script(reply="first", invoice=draft()), path=GENERATE)
    sid = created["session_id"]
    clients = [HttpClient(url) for url in urls]
    expected = [(script(reply="first", invoice=draft()), "first")]
    outcomes = []

    for race in range(RACES):
        barrier = threading.Barrier(2)
        # the winner's turn takes 0.3 s, so the other message always finds it in progress
        messages = [script(sleep=0.3, reply=f"race {race}, side {side}") for side in (0, 1)]
        path = CHAT if race % 2 == 0 else GENERATE

        def send(side: int, messages=messages, barrier=barrier, path=path):
            clients[side].get("/api/health")  # the connection is open before the start line
            barrier.wait(timeout=30)
            return post_turn(clients[side], messages[side], sid, path)

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(send, (0, 1)))
        statuses = sorted(a.status_code for a in answers)
        outcomes.append(statuses)
        assert statuses == [202, 409], [a.get_json() for a in answers]
        won = next(side for side, a in enumerate(answers) if a.status_code == 202)
        accepted, refused = answers[won].get_json(), answers[1 - won].get_json()
        assert refused["error"]["code"] == "turn_in_progress"
        assert refused["error"]["details"]["job_id"] == accepted["job_id"]
        assert finished_job(first, accepted["job_id"])["status"] == "succeeded"
        expected.append((messages[won], f"race {race}, side {won}"))

    check_session(first.get(f"/api/session/{sid}").get_json(), expected)
    figures(
        races=RACES,
        one_202_and_one_409=sum(o == [202, 409] for o in outcomes),
        api_processes=2,
        session_messages=2 * len(expected),
    )
