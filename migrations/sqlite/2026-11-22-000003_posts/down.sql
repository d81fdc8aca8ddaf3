DROP TABLE notifications;
DROP TABLE reactions;
DROP TABLE post_recipients;
DROP TABLE posts;
