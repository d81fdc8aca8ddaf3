DROP TABLE community_chat;
