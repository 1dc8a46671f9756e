"""The unmodified Slack SDK (slack_sdk, PyPI) against a real Parley server.

WebhookClient posts text, blocks and attachments to an incoming webhook; WebClient,
pointed at /slack/api/ with a Parley bot token, runs auth.test, chat.postMessage
(channel by id and by name), chat.update, reactions.add, conversations.history,
conversations.replies and files_upload_v2. Every result is checked through Parley's own REST API.

Usage: python3 run.py PATH_TO_PARLEY_BINARY
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pysupport"))
from parley_api import Api, check, free_port, set_up_ada  # noqa: E402


def main(binary):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="parley-slack-sdk-")
    env = dict(os.environ, PARLEY_SERVER__BIND=f"127.0.0.1:{port}", PARLEY_SERVER__SITE_URL=base,
               PARLEY_SERVER__DATA_DIR=data, PARLEY_LOG__FILTER="warn")
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        token = None
        deadline = time.time() + 60
        while token is None and time.time() < deadline:
            line = server.stdout.readline()
            m = re.search(r"setup\?token=(\S+)", line)
            token = m and m.group(1)
        check(token, "the server printed its setup link")
        ada, ws, general = set_up_ada(base, token)

        # Incoming webhook, unmodified WebhookClient.
        hook = ada.call("POST", f"/api/v1/channels/{general}/hooks", {"name": "CI"})
        client = WebhookClient(hook["url"])
        r = client.send(text="Build *42* passed")
        check(r.status_code == 200 and r.body == "ok", "WebhookClient text")
        r = client.send(text="fallback", blocks=[
            {"type": "header", "text": {"type": "plain_text", "text": "Deploy report"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*prod* is on <https://example.com/v2|v2>"}}])
        check(r.status_code == 200, "WebhookClient blocks")
        r = client.send(text="", attachments=[{"color": "danger", "title": "Disk full", "text": "95% used",
                                               "fields": [{"title": "Host", "value": "db-1", "short": True}]}])
        check(r.status_code == 200, "WebhookClient attachments")
        r = client.send(text="")
        check(r.status_code == 400 and r.body == "invalid_payload", "WebhookClient: nothing to post is refused")
        history = ada.call("GET", f"/api/v1/channels/{general}/messages")["messages"]
        check([m["app"]["name"] for m in history[-3:]] == ["CI"] * 3, "three messages as the hook")
        check("<strong>42</strong>" in history[-3]["html"], "mrkdwn rendered")
        check("Deploy report" in history[-2]["text"] and "href=\"https://example.com/v2\"" in history[-2]["html"], "blocks rendered")
        check(history[-1]["attachments"][0]["title"] == "Disk full", "the attachment became a card")

        # A bot with a token, unmodified WebClient.
        bot = ada.call("POST", f"/api/v1/workspaces/{ws}/bots", {"username": "deployer", "display_name": "Deployer"})
        scopes = ["channels:read", "channels:history", "chat:write", "reactions:write", "users:read", "files:write"]
        bot_token = ada.call("POST", f"/api/v1/bots/{bot['id']}/tokens", {"name": "sdk", "scopes": scopes})["token"]
        ada.call("POST", f"/api/v1/channels/{general}/members", {"user_id": bot["id"]})
        web = WebClient(token=bot_token, base_url=base + "/slack/api/")
        me = web.auth_test()
        check(me["ok"] and me["user"] == "deployer" and me["user_id"].startswith("U"), "auth.test")
        channels = web.conversations_list()["channels"]
        slack_general = next(c for c in channels if c["name"] == "general")["id"]
        check(slack_general.startswith("C"), "conversations.list gives Slack-style ids")
        by_id = web.chat_postMessage(channel=slack_general, text="Deploying *v2* now, <@%s>" % me["user_id"])
        by_name = web.chat_postMessage(channel="#general", text="second", thread_ts=by_id["ts"])
        check(by_id["ok"] and by_name["ok"], "chat.postMessage by id and by name")
        web.chat_update(channel=slack_general, ts=by_id["ts"], text="Deployed *v2*")
        web.reactions_add(channel=slack_general, timestamp=by_id["ts"], name="rocket")
        latest = web.conversations_history(channel=slack_general, limit=10)["messages"]
        check(latest[0]["ts"] == by_id["ts"] and latest[0]["text"] == "Deployed **v2**", "conversations.history, newest first, edited")
        check(latest[0]["reactions"][0]["name"] == "rocket", "reactions.add")
        thread = web.conversations_replies(channel=slack_general, ts=by_id["ts"])["messages"]
        check([m["text"] for m in thread] == ["Deployed **v2**", "second"], "conversations.replies")
        report = bytes(range(256)) * 8
        uploaded = web.files_upload_v2(channel=slack_general, content=report, filename="report.bin",
                                       title="Nightly report", initial_comment="Tonight's report")
        check(uploaded["file"]["title"] == "Nightly report" and uploaded["file"]["size"] == len(report),
              "files_upload_v2 (getUploadURLExternal, the bytes, completeUploadExternal)")
        try:
            web.chat_postMessage(channel="#nowhere", text="x")
            check(False, "an unknown channel is refused")
        except SlackApiError as e:
            check(e.response["error"] == "channel_not_found", "channel_not_found, in Slack's envelope")

        # Checked through Parley's own API.
        mine = [m for m in ada.call("GET", f"/api/v1/channels/{general}/messages?include_replies=true")["messages"]
                if m["author"]["id"] == bot["id"]]
        check(len(mine) == 3 and mine[0]["author"]["is_bot"], "the bot's three messages, marked as a bot")
        check(mine[0]["text"] == "Deployed **v2**" and mine[0]["edited_at"], "the edit is stored")
        check(mine[1]["thread_root_id"] == mine[0]["id"], "the reply is in the thread")
        check(mine[0]["reactions"][0]["emoji"] == "rocket", "the reaction is stored")
        shared = mine[2]
        check(shared["text"] == "Tonight's report" and shared["files"][0]["name"] == "report.bin", "the file is shared in #general")
        with urllib.request.urlopen(urllib.request.Request(
                base + f"/api/v1/files/{shared['files'][0]['id']}/content",
                headers={"authorization": "Bearer " + ada.token})) as r:
            check(r.read() == report, "the file's bytes, unchanged")
        print("slack_sdk: all checks passed")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1])
