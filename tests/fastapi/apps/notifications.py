"""A notification service written with FastAPI's defaults: a body with an
optional link, a list with optional filters, a delete answering 204."""

from datetime import datetime, timezone
from enum import Enum

from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel

app = FastAPI(title="Notifications", version="2.3.0")


class Channel(str, Enum):
    email = "email"
    sms = "sms"
    push = "push"


class NotificationCreate(BaseModel):
    user_id: str
    message: str
    channel: Channel = Channel.email
    action_url: str | None = None
    tags: list[str] = []


class Notification(BaseModel):
    id: int
    user_id: str
    message: str
    channel: Channel
    action_url: str | None
    read: bool = False
    created_at: datetime


STORE: dict[int, Notification] = {}


@app.post("/notifications", status_code=status.HTTP_201_CREATED)
def send_notification(body: NotificationCreate) -> Notification:
    notification = Notification(
        id=len(STORE) + 1,
        user_id=body.user_id,
        message=body.message,
        channel=body.channel,
        action_url=body.action_url,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
    STORE[notification.id] = notification
    return notification


@app.get("/users/{user_id}/notifications")
def list_notifications(
    user_id: str,
    unread_only: bool = False,
    limit: int = 20,
    channel: Channel | None = None,
) -> list[Notification]:
    rows = [
        row
        for row in STORE.values()
        if row.user_id == user_id and (not unread_only or not row.read) and (channel is None or row.channel == channel)
    ]
    return rows[:limit]


@app.delete("/notifications/{notification_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_notification(notification_id: int) -> None:
    if STORE.pop(notification_id, None) is None:
        raise HTTPException(status_code=404, detail="no such notification")
