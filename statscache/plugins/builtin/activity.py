"""Built-in plugins of who did what, and what happened last: each user's activity per topic and per
category, all time, and the newest message of each topic and category."""

from __future__ import annotations

from statscache.plugins.activity import ActivityPlugin, LatestMessagePlugin
from statscache.plugins.models import (
    LatestByCategoryModel,
    LatestByTopicModel,
    UserCategoryActivityModel,
    UserTopicActivityModel,
)


class UserActivity(ActivityPlugin):
    name = "User activity"
    summary = "Messages per user and topic, all time, with when first and last seen"
    description = (
        "For every user and topic, the number of distinct messages naming the user on the topic since "
        "statistics began, and the event times of the first and the last. ?user=NAME lists a person's "
        "topics, ?topic=T the people on a topic, most active first. Configured bots and noisy topics "
        "(statscache.exclude.*) are left out."
    )
    base_model = UserTopicActivityModel
    subject_columns = ("topic", "category")


class UserActivityByCategory(ActivityPlugin):
    name = "User activity by category"
    summary = "Messages per user and category, all time, with when first and last seen"
    description = (
        "For every user and category (buildsys, bodhi...), the number of distinct messages naming the user "
        "in the category since statistics began, and the event times of the first and the last. Configured "
        "bots and noisy topics (statscache.exclude.*) are left out."
    )
    base_model = UserCategoryActivityModel
    subject_columns = ("category",)


class LatestByTopic(LatestMessagePlugin):
    name = "Latest by topic"
    summary = "The newest message of every topic, and how long ago it was"
    description = (
        "For every topic, the newest message (by event time; a tie goes to the larger msg_id): when, its "
        "msg_id and users, a link to it in datagrepper, and its age in seconds when asked."
    )
    base_model = LatestByTopicModel
    subject_columns = ("topic", "category")


class LatestByCategory(LatestMessagePlugin):
    name = "Latest by category"
    summary = "The newest message of every category, and how long ago it was"
    description = (
        "For every category (buildsys, bodhi...), the newest message (by event time; a tie goes to the larger "
        "msg_id): when, its msg_id and users, a link to it in datagrepper, and its age in seconds when asked."
    )
    base_model = LatestByCategoryModel
    subject_columns = ("category",)
